"""Findings from a walked pickle stream (:class:`mlsc.scan.pickles.PickleScan`).

One finding per dangerous or unknown import (with the offset and opcode that import it and
the ones that apply it), per unresolved import, per BUILD that rewrites behaviour, per
nested pickle (and the findings of the nested pickle itself, placed in the outer stream),
per parse error or cap; a single ``info`` finding when everything is on the safe list.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import TYPE_CHECKING

from mlsc.scan.findings import Finding

if TYPE_CHECKING:
    from mlsc.scan.pickles import HiddenArray, NestedScan, PickleImport, PickleScan


def _where(imp: PickleImport) -> str:
    text = f"imported by {imp.opcode} at byte {imp.offset}"
    if imp.call_offset is not None:
        text += f", applied by {imp.call_opcode} at byte {imp.call_offset}"
    return text


def _import_finding(path: str, imp: PickleImport, member: str | None) -> Finding | None:
    how = "calls" if imp.called else "imports"
    if imp.verdict == "safe":
        return None
    kind, severity = (
        ("dangerous_import", "critical")
        if imp.verdict == "dangerous"
        else ("unknown_import", "warning")
    )
    return Finding(
        path,
        kind,  # type: ignore[arg-type]
        severity,  # type: ignore[arg-type]
        f"{how} {imp.qualname} ({imp.reason}); {_where(imp)}",
        (imp.qualname,),
        member,
        offset=imp.offset,
        opcode=imp.opcode,
    )


def _nested_check(path: str, n: NestedScan, member: str | None) -> str | None:
    """A command that cuts the nested pickle out of the file (or member) and disassembles
    it; ``None`` when the nested bytes were decoded (base64, latin-1 ...), not stored."""
    if n.base is None or n.part:
        return None
    cut = f"d[{n.base}:{n.base + n.size}]"
    if member:
        read = "import sys,zipfile; d=zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])"
        args = f"{shlex.quote(path)} {shlex.quote(member)}"
    else:
        read = "import sys; d=open(sys.argv[1],'rb').read()"
        args = shlex.quote(path)
    return f'python -c "{read}; sys.stdout.buffer.write({cut})" {args} | python -m pickletools -'


def _nested_findings(path: str, n: NestedScan, member: str | None) -> list[Finding]:
    part = f" ({n.part})" if n.part else ""
    check = _nested_check(path, n, member)
    names = sorted({i.qualname for i in n.scan.imports})
    shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "") if names else "nothing"
    out = [
        Finding(
            path,
            "nested_pickle",
            "critical",
            f"hands a {n.size}-byte nested pickle{part} to {n.via} ({n.opcode} at byte "
            f"{n.offset}); the nested pickle imports {shown}",
            tuple(names),
            member,
            offset=n.offset,
            opcode=n.opcode,
            check=check,
        )
    ]
    for f in pickle_findings(path, n.scan, member):
        if f.kind == "pickle":
            continue
        inner = f" at its byte {f.offset}" if f.offset is not None else ""
        if n.base is not None and f.offset is not None and not n.part:
            offset, opcode = n.base + f.offset, f.opcode
        else:
            offset, opcode = n.offset, n.opcode
        out.append(
            replace(
                f,
                detail=f"nested pickle{part} for {n.via} at byte {n.offset}{inner}: {f.detail}"[
                    :600
                ],
                offset=offset,
                opcode=opcode,
                check=f.check or check,
            )
        )
    return out


def _hidden_findings(path: str, h: HiddenArray, member: str | None) -> list[Finding]:
    names = sorted({i.qualname for i in h.scan.imports})
    what = f"imports {', '.join(names[:8])}" if names else "imports nothing"
    if h.overrun:
        what += "; its opcodes run to the end of the array (pickle.load reads on from there)"
    check = None
    if not member:
        check = (
            "python -c \"import sys; d=open(sys.argv[1],'rb').read(); "
            f'sys.stdout.buffer.write(d[{h.start}:{h.start + h.size}])" '
            f"{shlex.quote(path)} | python -m pickletools -"
        )
    out = [
        Finding(
            path,
            "array_opcodes",
            "critical",
            f"the {h.size} bytes joblib.load reads as numpy array data after the "
            f"NumpyArrayWrapper BUILD at byte {h.offset} (from byte {h.start}) are pickle "
            f"opcodes pickle.load would run: {what}",
            tuple(names),
            member,
            offset=h.start,
            check=check,
        )
    ]
    for f in pickle_findings(path, h.scan, member):
        if f.kind in ("pickle", "unparseable", "scan_limit"):
            continue  # real array bytes are no pickle: an error is expected
        offset = h.start + f.offset if f.offset is not None else h.start
        detail = f"array bytes after the BUILD at byte {h.offset}, as pickle.load reads them"
        out.append(replace(f, detail=f"{detail}: {f.detail}"[:600], offset=offset, check=check))
    return out


def pickle_findings(path: str, scan: PickleScan, member: str | None = None) -> list[Finding]:
    """The findings for one walked stream (see the module docstring)."""
    out: list[Finding] = []
    for imp in scan.imports:
        if (finding := _import_finding(path, imp, member)) is not None:
            out.append(finding)
    for u in scan.unresolved_at:
        out.append(
            Finding(
                path,
                "unresolved_import",
                "critical",
                f"{u.detail}: the callable is only known when loaded",
                (),
                member,
                offset=u.offset,
                opcode=u.opcode,
            )
        )
    for inj in scan.injections:
        out.append(
            Finding(
                path,
                "state_injection",
                "critical",
                f"{inj.detail} (BUILD at byte {inj.site.offset})",
                (),
                member,
                offset=inj.site.offset,
                opcode=inj.site.opcode,
            )
        )
    for n in scan.nested:
        out.extend(_nested_findings(path, n, member))
    for h in scan.hidden:
        out.extend(_hidden_findings(path, h, member))
    for e in scan.external:
        out.append(
            Finding(
                path,
                "external_array",
                "critical" if e.critical else "warning",
                e.detail,
                (),
                member,
                offset=e.site.offset,
                opcode=e.site.opcode,
            )
        )
    if scan.error is not None:
        seen = f"; {len(scan.imports)} imports seen before it" if scan.imports else ""
        out.append(
            Finding(
                path,
                "unparseable",
                "warning",
                f"not a valid pickle at byte {scan.error_offset}: {scan.error}{seen}",
                (),
                member,
                offset=scan.error_offset,
            )
        )
    if scan.limit is not None:
        out.append(
            Finding(
                path,
                "scan_limit",
                "warning",
                f"scan stopped after {scan.opcodes} opcodes: {scan.limit}",
                (),
                member,
            )
        )
    if not out:
        safe = sorted(i.qualname for i in scan.imports)
        proto = f"protocol {scan.protocol}" if scan.protocol is not None else "protocol 0/1"
        out.append(
            Finding(
                path,
                "pickle",
                "info",
                f"{scan.pickles} pickle(s), {proto}, {scan.opcodes} opcodes; "
                f"{len(safe)} imports, all on the safe list",
                tuple(safe),
                member,
            )
        )
    return out
