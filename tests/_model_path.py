"""Make firmware/model importable for the tests (flat module imports)."""
import sys
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parents[1] / "firmware" / "model"
if str(MODEL_DIR) not in sys.path:
    sys.path.insert(0, str(MODEL_DIR))
