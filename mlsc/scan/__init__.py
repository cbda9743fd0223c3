"""Unsafe serialisation in local model files, found without loading them.

- :func:`scan_path` scans a file or a directory and returns a :class:`ScanReport`: per file
  its format (by name and by magic bytes), SHA-256, status and :class:`Finding` list, and
  for a directory its OpenSSF model-signature result;
- :func:`scan_records` turns a report into graph records (File nodes with their verdicts, the
  Model with its signature status, HAS_FILE edges), and :func:`record_scan` writes them into a
  knowledge base.

The engines: :mod:`mlsc.scan.pickles` (pickle opcodes through :mod:`pickletools`, with
picklescan as an optional second opinion), :mod:`mlsc.scan.safetensors` (header rules) and
:mod:`mlsc.scan.signing` (``model-signing``).
"""

from mlsc.scan.findings import Finding, ScanStatus, Severity
from mlsc.scan.records import (
    FILE_SCAN_PROPERTIES,
    MODEL_SCAN_PROPERTIES,
    record_scan,
    scan_records,
)
from mlsc.scan.scanner import FileScan, ScanReport, scan_file, scan_path
from mlsc.scan.signing import SignatureResult, verify_model

__all__ = [
    "FILE_SCAN_PROPERTIES",
    "MODEL_SCAN_PROPERTIES",
    "FileScan",
    "Finding",
    "ScanReport",
    "ScanStatus",
    "Severity",
    "SignatureResult",
    "record_scan",
    "scan_file",
    "scan_path",
    "scan_records",
    "verify_model",
]
