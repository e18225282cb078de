"""Human-readable renderings of the shared documents (the JSON forms come from report.py).

Ids, paths and URLs are printed whole, on lines Rich never breaks (`soft_wrap=True`), so neither
a pipe nor a narrow terminal splits them (see output.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from vidpipe.cli.output import shorten
from vidpipe.orchestrator.state import STAGE_NAMES

if TYPE_CHECKING:
    from vidpipe.documents import (
        PlanDocument,
        ProjectDocument,
        ProjectSummary,
        ReferenceDocument,
        SceneDocument,
        TakesDocument,
        WorkerDocument,
    )

STATUS_STYLE = {
    "complete": "green",
    "failed": "red",
    "pending": "dim",
    "stopped": "default",
    "out_of_date": "yellow",
    "rai_filtered": "yellow",
    "timed_out": "yellow",
}


def _status(value: str | None) -> str:
    value = value or "-"
    shown = STAGE_NAMES.get(value, value)  # a working stage by its human name, as everywhere
    return f"[{STATUS_STYLE.get(value, 'cyan')}]{shown}[/]"


def _reference_line(reference: ReferenceDocument, scenes: Sequence[SceneDocument]) -> str:
    """`reference Mara (a courier): scenes 1, 3` — where a reference appears."""
    shown = [str(s.index + 1) for s in scenes if reference.name in s.references]
    about = f" ({reference.description})" if reference.description else ""
    where = f"scene{'s' if len(shown) > 1 else ''} {', '.join(shown)}" if shown else "no scene"
    return f"reference {reference.name}{about}: {where}"


def show_project(console: Console, document: ProjectDocument) -> None:
    console.print(f"[bold]{document.id}[/]  {_status(document.status)}", soft_wrap=True)
    console.print(f"prompt: {document.prompt}", markup=False, soft_wrap=True)
    if document.output_path:
        console.print(f"output: {document.output_path}", markup=False, soft_wrap=True)
    for reference in document.references:
        console.print(_reference_line(reference, document.scenes), markup=False, soft_wrap=True)
    if document.error_message:
        console.print(f"[red]error:[/] {document.error_message}", soft_wrap=True)
    if document.note:  # a resting project that resume continues
        note = f"{document.note}: vidpipe resume {document.id}"
        console.print(note, markup=False, soft_wrap=True)
    if document.runner:
        runner = document.runner
        console.print(f"run by: pid {runner.pid} on {runner.host}", soft_wrap=True)
    elif document.queued:
        console.print("queued: waiting for a worker", soft_wrap=True)
    ledger = document.ledger
    if ledger.spent or ledger.estimated_cost:
        line = f"spent: ${ledger.spent:.2f} in {ledger.billed_calls} billed calls"
        if ledger.estimated_cost is not None:
            line += f" (estimated ${ledger.estimated_cost:.2f})"
        if ledger.max_cost is not None:
            line += f", budget ${ledger.max_cost:.2f}"
        console.print(line, markup=False)
    if document.scenes:
        table = Table("scene", "status", "clip", "description", box=None)
        for scene in document.scenes:
            table.add_row(
                str(scene.index + 1),
                _status(scene.status) + (" [yellow]stale[/]" if scene.stale else ""),
                f"{scene.clip_duration:.2f}s" if scene.clip_duration else "-",
                shorten(scene.scene_description, 70),
            )
        console.print(table)
    for missing in document.missing_scenes:
        console.print(
            f"[yellow]scene {missing.index + 1} missing:[/] {missing.clip_status}"
            f" — {missing.reason}",
            soft_wrap=True,
        )


def show_plan(console: Console, plan: PlanDocument) -> None:
    """What resume would make, one line each, and the total."""
    for warning in plan.warnings:
        console.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if not plan.items:
        console.print("plan: nothing to do; the project is up to date", markup=False)
        return
    console.print(f"plan: {len(plan.items)} step(s), estimated ${plan.estimated_cost:.2f}")
    for item in plan.items:
        what: str = item.kind
        if item.scene is not None:
            what += f" of scene {item.scene}"
        if item.position:
            what += f" ({item.position} frame)"
        if item.line is not None:
            what += f" (line {item.line})"
        cost = f"${item.cost:.2f}" if item.cost else "free"
        if item.takes > 1:
            what += f" ×{item.takes} takes"
        console.print(f"  {what}: {item.reason} — {cost}", markup=False)
    for note in plan.notes:
        console.print(f"  note: {note}", markup=False)


def show_takes(console: Console, document: TakesDocument) -> None:
    """One line per take: slot, number, selected mark, fidelity, cost, model, created."""
    if not document.takes:
        console.print(f"scene {document.scene} has no takes yet", markup=False)
        return
    for take in document.takes:
        mark = "*" if take.selected else " "
        fidelity = f"{take.fidelity:.1f} dB" if take.fidelity is not None else "-"
        extra = f"  direction: {take.direction}" if take.direction else ""
        if take.auto_selected:
            extra += "  (best fidelity of its round)"
        console.print(
            f"{mark} {take.slot:<5} take {take.take:<3} fidelity {fidelity:<9} "
            f"${take.cost:.2f}  {take.model or take.provider}  "
            f"{take.created_at}{extra}",
            markup=False,
            soft_wrap=True,
        )
        shown = (
            shorten(take.prompt, 100)
            if take.prompt
            else "(not recorded: made before takes stored it)"
        )
        console.print(f"    prompt: {shown}", markup=False, soft_wrap=True)


def show_list(console: Console, documents: Sequence[ProjectSummary]) -> None:
    if not documents:
        console.print('no projects yet — try: vidpipe generate "a lighthouse at dawn"')
        return
    table = Table("id", "status", "created", "prompt", box=None)
    for document in documents:
        table.add_row(
            str(document.id)[:8],
            _status(document.status),
            (document.created_at or "")[:19],
            shorten(document.prompt, 60),
        )
    console.print(table)


def show_settings(console: Console, settings: Mapping[str, object]) -> None:
    table = Table("setting", "environment variable", "value", box=None)
    for name, value in settings.items():
        table.add_row(name, f"VIDPIPE_{name.upper()}", "" if value is None else str(value))
    console.print(table)


def show_checks(console: Console, checks: list[Any]) -> None:
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.name}: {check.detail}", soft_wrap=True)


def show_workers(console: Console, documents: Sequence[WorkerDocument]) -> None:
    if not documents:
        console.print("no live workers")
        return
    for worker in documents:
        running = ", ".join(map(str, worker.running_projects)) or "-"
        console.print(
            f"{worker.host} pid {worker.pid}  running {len(worker.running_projects)}/"
            f"{worker.concurrency}: {running}  last heartbeat {worker.last_heartbeat}",
            markup=False,
            soft_wrap=True,
        )
