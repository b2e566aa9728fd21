"""lamina.nn.functional (F): the computations; the layer modules are thin wrappers over these.

Each family lives in lamina/ops/<family>.py beside its backward; this file only gathers them."""
from ..ops.activation import *  # noqa: F401,F403
from ..ops.attention import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.distance import pdist  # noqa: F401
from ..ops.dropout import *  # noqa: F401,F403
from ..ops.embedding import *  # noqa: F401,F403
from ..ops.fractional_pool import *  # noqa: F401,F403
from ..ops.interpolate import *  # noqa: F401,F403
from ..ops.linalg import bilinear, linear  # noqa: F401
from ..ops.loss import *  # noqa: F401,F403
from ..ops.normalization import *  # noqa: F401,F403
from ..ops.padding import *  # noqa: F401,F403
from ..ops.pooling import *  # noqa: F401,F403
from ..ops.sampling import *  # noqa: F401,F403
