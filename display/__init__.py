"""The board's assets (its page template, script and styles) and the voice library.

The board's routes live in `queue_server.web.board`; nothing here imports the web layer.
"""

from pathlib import Path
from typing import Final

HERE: Final = Path(__file__).parent
STATIC: Final = HERE / "static"
TEMPLATES: Final = HERE / "templates"
