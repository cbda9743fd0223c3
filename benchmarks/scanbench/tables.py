"""The summary as a table for the terminal (``--verbose``: one row per sample and tool) or
as Markdown for ``benchmarks/README.md``."""

from __future__ import annotations

from typing import Any


def print_table(result: dict[str, Any], verbose: bool, build_errors: dict[str, str]) -> None:
    samples = result["samples"]
    n_mal = sum(s["malicious"] for s in samples)
    n_ben = len(samples) - n_mal
    print(f"{len(samples)} samples: {n_mal} malicious, {n_ben} benign")
    base = result["tools"]["mlsc"]["seconds"] or 1e-9
    header = f"{'tool':<11} {'version':<8} {'detected':>9} {'missed':>7} {'errors':>7} {'false+':>7} {'seconds':>8} {'x mlsc':>7}"
    print(header)
    print("-" * len(header))
    for t in result["tools"].values():
        if t["version"] is None:
            print(f"{t['tool']:<11} {'absent':<8}")
            continue
        print(
            f"{t['tool']:<11} {t['version']:<8} {t['detected']:>4}/{n_mal:<4} {t['missed']:>7} "
            f"{t['errors']:>7} {t['false_positives']:>3}/{n_ben:<3} {t['seconds']:>8.2f} "
            f"{t['seconds'] / base:>7.1f}"
        )
    if verbose:
        print()
        for s in samples:
            kind = "malicious" if s["malicious"] else "benign"
            print(f"{s['sample']} ({kind}): {s['source']}")
            for tool, r in s["runs"].items():
                note = f"  {r['note']}" if r["note"] else ""
                print(f"    {tool:<11} {r['verdict']:<8}{note}")
    for name, err in build_errors.items():
        print(f"sample {name} did not build: {err}")
    for name, why in result["skipped_samples"]:
        print(f"sample {name} left out: {why}")
    print()
    missed = result["caught_by_a_peer_missed_by_mlsc"]
    print(f"caught by a peer, missed by mlsc ({len(missed)}, must be 0):")
    for m in missed:
        print(f"    {m['sample']}: caught by {', '.join(m['caught_by'])}")
    fps = result["mlsc_false_positives"]
    print(f"benign samples mlsc flagged ({len(fps)}, must be 0):")
    for name in fps:
        print(f"    {name}")
    lower = result["peer_dangerous_mlsc_lower"]
    print(f"rated dangerous by a peer, below critical in mlsc ({len(lower)}, should be 0):")
    for m in lower:
        print(f"    {m['sample']}: {', '.join(m['peers'])}; mlsc {m['mlsc']}")
    for name in result["mlsc_errors"]:
        print(f"mlsc crashed on {name}")
    for m in result["peer_error_where_mlsc_clean"]:
        print(
            f"note: {', '.join(m['errored'])} could not scan {m['sample']}, which mlsc rates clean"
        )


def print_markdown(result: dict[str, Any]) -> None:
    """The tools table as Markdown, for benchmarks/README.md."""
    samples = result["samples"]
    n_mal = sum(s["malicious"] for s in samples)
    n_ben = len(samples) - n_mal
    base = result["tools"]["mlsc"]["seconds"] or 1e-9
    print("| tool | version | detected | missed | errors | false+ | seconds | x mlsc |")
    print("|---|---|---|---|---|---|---|---|")
    for t in result["tools"].values():
        if t["version"] is None:
            print(f"| {t['tool']} | absent | | | | | | |")
            continue
        print(
            f"| {t['tool']} | {t['version']} | {t['detected']}/{n_mal} | {t['missed']} | "
            f"{t['errors']} | {t['false_positives']}/{n_ben} | {t['seconds']:.2f} | "
            f"{t['seconds'] / base:.1f} |"
        )
