"""The tool version, stamped into rings.json, reports and referral packages."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ringscope")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+checkout"
