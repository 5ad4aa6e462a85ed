"""The one cancellation, as the faces and the workflow runner see it (engine.cancel, re-exported here so that
nothing above ops imports the engine)."""
from ..engine.cancel import Cancelled, CancelToken, check

__all__ = ["Cancelled", "CancelToken", "check"]
