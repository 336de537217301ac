"""Protocol models: strict requests, lenient responses, UUIDv7 ids, pinned exports."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

import shared
from shared.ids import is_uuid7, uuid7
from shared.protocol import ScanBatch, ScanIn, ScanResult


def _scan(**overrides) -> dict:
    data = {
        "scan_id": uuid7(),
        "station_id": uuid7(),
        "seq": 1,
        "user_id": uuid7(),
        "project_id": uuid7(),
        "mode": "out",
        "code": "RG-1",
        "source": "wedge",
        "scanned_at": datetime.now(UTC),
    }
    data.update(overrides)
    return data


def test_uuid7_is_time_ordered_and_standard():
    ids = [uuid7() for _ in range(1000)]
    assert ids == sorted(ids)
    assert all(isinstance(i, uuid.UUID) and is_uuid7(i) for i in ids)
    assert not is_uuid7(uuid.uuid4())


def test_scan_requires_v7_aware_time_and_project_for_out():
    ScanIn(**_scan())
    with pytest.raises(ValidationError, match="UUIDv7"):
        ScanIn(**_scan(scan_id=uuid.uuid4()))
    with pytest.raises(ValidationError, match="timezone"):
        ScanIn(**_scan(scanned_at=datetime(2026, 1, 1)))
    with pytest.raises(ValidationError, match="project_id"):
        ScanIn(**_scan(project_id=None))
    ScanIn(**_scan(project_id=None, mode="audit"))


def test_annul_needs_its_target_and_only_annul_has_one():
    with pytest.raises(ValidationError, match="annuls_scan_id"):
        ScanIn(**_scan(mode="annul"))
    with pytest.raises(ValidationError, match="only allowed"):
        ScanIn(**_scan(annuls_scan_id=uuid7()))


def test_requests_refuse_unknown_fields_responses_ignore_them():
    with pytest.raises(ValidationError, match="extra"):
        ScanIn(**_scan(extra_field=1))
    result = ScanResult.model_validate(
        {"scan_id": str(uuid7()), "status": "applied", "added_by_a_newer_server": True}
    )
    assert result.status == "applied"


def test_batch_refuses_repeated_scan_ids():
    scan = _scan()
    with pytest.raises(ValidationError, match="twice"):
        ScanBatch(scans=[scan, scan])


def test_exported_members_are_pinned():
    assert sorted(shared.__all__) == sorted(
        [
            "PROTOCOL_VERSION",
            "BarcodeError",
            "MovementKind",
            "MovementOut",
            "NormalizedCode",
            "ScanBatch",
            "ScanBatchResponse",
            "ScanIn",
            "ScanMode",
            "ScanResult",
            "ScanSource",
            "ScanStatus",
            "is_uuid7",
            "normalize_code",
            "uuid7",
        ]
    )
    assert shared.PROTOCOL_VERSION == 2
