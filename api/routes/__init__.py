"""The HTTP API's resources, one ``APIRouter`` each; ``create_app`` (api/app.py) includes them all."""
