# SPDX-License-Identifier: GPL-2.0
"""python3 -m atcppeer: the same as selftests/peer/run."""

import sys

from .runner import main

sys.exit(main())
