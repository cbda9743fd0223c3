"""mlsc on every corpus sample: malicious ones at least at their expected status, benign ones
never flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsc.scan import scan_path
from mlsc.scan.findings import STATUS_ORDER
from tests.scan.corpus import SAMPLES, Sample


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample(sample: Sample, tmp_path: Path) -> None:
    target = sample.build(tmp_path)
    report = scan_path(target, check_signature=False)
    detail = [(f.path, f.status, [x.short() for x in f.findings]) for f in report.files]
    if sample.malicious:
        assert STATUS_ORDER.index(report.status) >= STATUS_ORDER.index(sample.expect), detail
    else:
        assert report.status in ("clean", "skipped"), detail
