# SPDX-License-Identifier: GPL-2.0
"""The two ways a script run ends badly."""


class ScriptError(Exception):
    """A script line is malformed."""


class TestFailure(Exception):
    """The dut did not behave as the script says."""
