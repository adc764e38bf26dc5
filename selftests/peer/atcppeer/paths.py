# SPDX-License-Identifier: GPL-2.0
"""Where the peer's files are: selftests/peer, its scripts, dutapp.py."""

import os

PEERDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUTAPP = os.path.join(PEERDIR, 'dutapp.py')
SCRIPTDIR = os.path.join(PEERDIR, 'scripts')
