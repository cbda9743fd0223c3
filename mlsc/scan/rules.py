"""The rules a scan applies: one per kind of finding, with a stable id, what it means and
how to check a finding by hand.

Every :class:`mlsc.scan.findings.Finding` names its rule through its ``kind``; SARIF output
(``mlsc scan -f sarif``) lists these rules, and ``mlsc scan`` shows the check beside each
finding. A check is a shell command line with ``{path}`` (the file, quoted) and, for an
archive member, ``{member}`` (quoted) filled in.

    >>> RULES["dangerous_import"].id
    'MLSC101'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One rule of the scanner."""

    id: str
    """Stable identifier (``MLSC101``), the SARIF ``ruleId``."""
    kind: str
    """The finding kind it reports (:data:`mlsc.scan.findings.Kind`)."""
    title: str
    """A short name for a person."""
    description: str
    """What a finding of this rule means and why it matters."""
    check: str
    """How to confirm a finding by hand: a command with ``{path}`` filled in."""
    check_member: str | None = None
    """The same for a finding inside an archive member (``{path}`` and ``{member}``)."""


_PICKLETOOLS = "python -m pickletools {path}"
_PICKLETOOLS_MEMBER = (
    "python -c 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1])"
    ".read(sys.argv[2]))' {path} {member} | python -m pickletools -"
)

RULES: dict[str, Rule] = {
    r.kind: r
    for r in (
        Rule(
            "MLSC101",
            "dangerous_import",
            "pickle imports a dangerous callable",
            "Loading the file imports (and usually calls) a callable that can run commands, "
            "evaluate code, touch files or the network, or reach such a callable.",
            _PICKLETOOLS + "  # look for the GLOBAL/STACK_GLOBAL at the offset",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC102",
            "unknown_import",
            "pickle imports a callable outside the allow-list",
            "The callable is neither a known tensor/array rebuild function nor on the deny-list: "
            "loading the file runs code nobody has vetted.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC103",
            "unresolved_import",
            "pickle computes the callable it imports",
            "A STACK_GLOBAL whose module or name is built at run time, or an extension-registry "
            "code: what is imported is only known when the file is loaded.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC104",
            "unparseable",
            "content could not be parsed",
            "The scanner could not read the content as its format; a loader may still read it.",
            "xxd {path} | head",
        ),
        Rule(
            "MLSC105",
            "scan_limit",
            "scan stopped at a limit",
            "A size or count cap stopped the scan early: the rest of the file was not checked.",
            "ls -l {path}",
        ),
        Rule(
            "MLSC106",
            "pickle",
            "pickle with allow-listed imports only",
            "The file is a pickle, and every callable it imports is a known rebuild function.",
            _PICKLETOOLS,
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC107",
            "invalid_header",
            "safetensors header breaks the format",
            "The header is not what the safetensors format allows (offsets, dtypes, sizes).",
            'python -c \'import json,struct,sys; f=open(sys.argv[1],"rb"); '
            'n=struct.unpack("<Q",f.read(8))[0]; print(json.dumps(json.loads(f.read(n)),'
            "indent=1))' {path}",
        ),
        Rule(
            "MLSC108",
            "format_mismatch",
            "name and content disagree",
            "The file's name promises one format and its bytes are another (a pickle named "
            ".safetensors); loaders go by the bytes.",
            "file {path}; xxd {path} | head -2",
        ),
        Rule(
            "MLSC109",
            "second_opinion",
            "another engine disagrees",
            "picklescan rates an import dangerous that mlsc rated lower, or resolved an import "
            "differently.",
            "picklescan --path {path}",
        ),
        Rule(
            "MLSC110",
            "nested_pickle",
            "pickle carries a nested pickle",
            "The pickle passes bytes to a callable that unpickles them (pickle.loads, "
            "torch.load over io.BytesIO, numpy.load, joblib.load ...): loading runs a second "
            "pickle that scanners looking only at imports do not see. The nested pickle's own "
            "imports are reported too.",
            _PICKLETOOLS + "  # the BINBYTES at the offset is the nested pickle; "
            "dump it and run pickletools on it",
            _PICKLETOOLS_MEMBER,
        ),
        Rule(
            "MLSC111",
            "state_injection",
            "BUILD rewrites an object's behaviour",
            "A BUILD opcode sets dunder attributes (__setstate__, __reduce__, __getattr__ ...) "
            "through its state, or sets state on an imported class or module itself: it "
            "monkey-patches code that runs later, even when every import looks harmless.",
            _PICKLETOOLS + "  # look at the BUILD at the offset and the dict before it",
            _PICKLETOOLS_MEMBER,
        ),
    )
}
"""Every rule, by finding kind."""
