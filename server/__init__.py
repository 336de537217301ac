"""RentGuy Kiosk server: a thin FastAPI app over one SQLAlchemy database."""
