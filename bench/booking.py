"""Booking throughput, latency and double-booking safety of the real app on PostgreSQL.

Target (DESIGN.md, "Performance targets"): booking writes >= 40 % of pgbench's TPC-B-like rate
on the same machine and database, p99 < 100 ms at 32 concurrent clients, and no double booking
under any concurrency.

What runs: a scratch database (migrated, the demo clinic plus generated clinicians, about
25,000 patients with bearer tokens), two app servers (uvicorn, one process and port each; the
clients are dealt to them in turn, as a proxy would), then
0. pgbench TPC-B-like with 8 and 32 clients, on the same server, for as long as the book phase;
1. book: 32 clients, each booking a different free slot with `POST /appointments` for one
   patient after another, `BOOKINGS_PER_PATIENT` each (with an `Idempotency-Key`, as a
   patient's client sends it), for a fixed time — the target;
   then pgbench again, so the booking rate is set beside the best rate of the database in the
   same minutes (the machine's speed drifts by a fifth within minutes);
2. hold+book: the checkout a patient goes through, `POST /holds` then `POST /appointments`;
3. contention: all 32 clients race, each for a patient of its own, at the same instant, for
   the same few hours of one clinician with appointment types that overlap; the database must
   end with exactly one appointment on every contested half-hour and no overlap anywhere;
4. scale-out: the app again with `SCALE_OUT_WORKERS` processes (N app servers sharing one
   database, as docs/deploy.md runs them), the book phase repeated with a second group of
   slots and their patients (slots dealt to one client cannot overlap, so one group's supply
   is bounded by the times on the grid, and a fast machine used up the first before this).
Everything it created (server, databases) is removed at the end, also on failure.

The booking rules hold for every request, so only the contention phase may see a 409:
- a patient booking for themselves may hold `PLEXCARE_MAX_OPEN_APPOINTMENTS` upcoming
  appointments (the app's default, 6): each patient books exactly that many, so the limit is
  checked on every booking but never refuses one. (Until December 2026 a few dozen patients
  booked about a thousand appointments each, under a limit raised to 100,000, and the limit's
  count read hundreds of rows per booking, a fifth of the database's work, where production
  reads at most six);
- no patient may have two overlapping appointments: the free slots are dealt out so that no
  client is given two at the same time (30 clinicians' slots start on a shared grid), and a
  contention rival asks for one slot per contested hour, and those never overlap.
Any other 409, a client running out of slots before the time is up, and any overlap in the
database are reported as problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import orjson
import psycopg
from bench import booking_cpu, pgbench
from bench.booking_server import WORKERS, RunningApp, running_app
from bench.booking_setup import (
    BOOKINGS_PER_PATIENT,
    OPEN_APPOINTMENTS_LIMIT,
    BenchClinic,
    Patient,
    PatientCalendar,
    Turn,
    add_patients,
    admin_dsn,
    build_clinic,
    deal_without_overlap,
    patients_needed,
    run_admin,
    scratch_database,
    server_problem,
    turns_of,
)
from bench.http_load import Answer, KeepAliveClient, ProtocolProblem

from plexcare.scheduling.reservations import PATIENT_BUSY, SLOT_TAKEN

CLIENTS = 32
SECONDS = int(os.environ.get("PLEXCARE_BENCH_BOOKING_SECONDS", "20"))
FLOW_SECONDS = max(5, SECONDS // 2)
WARM_UP_SECONDS = 3
TARGET_SHARE = 0.40
TARGET_P99_MS = 100.0
ACTIVE = "('booked', 'completed', 'no_show')"
HANDS_PER_CLIENT = 2
"""Hands of slots each client books from, one after the other: a hand holds one slot at each
time of the shared grid at most, and one hand per client would run dry on a fast machine."""
SCALE_OUT_WORKERS = 4
"""App processes of the scale-out phase; the main phases run `WORKERS` (2)."""
YARDSTICK_CLIENT_COUNTS = (8, CLIENTS)
EXPECTED_CONFLICT = "409 slot taken"
"""The only refusal the contention phase expects: another rival won the time first."""


@dataclass
class Phase:
    """What one phase saw: every request's latency and status, and bookings made."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    booked: int = 0
    seconds: float = 0.0
    cpu: booking_cpu.CpuSplit | None = None
    ran_dry: int = 0
    """Clients that ran out of slots before the time was up (the rate would be too low)."""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def rate(self) -> float:
        return self.booked / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Client:
    """One of the concurrent clients: an HTTP connection, and the patient it races for in the
    contention phase (in the other phases, each slot comes with its own patient)."""

    http: KeepAliveClient
    patient: Patient


def _conflict_kind(answer: Answer) -> str:
    """Which rule a 409 names, so the phases can tell a lost race from a refused patient."""
    try:
        detail = str(orjson.loads(answer.body).get("detail", ""))
    except (orjson.JSONDecodeError, AttributeError):
        detail = ""
    if detail == SLOT_TAKEN:
        return EXPECTED_CONFLICT
    if detail == PATIENT_BUSY:
        return "409 patient busy"
    if "the most that can be booked online" in detail:
        return "409 open limit"
    return f"409 other ({detail[:60]})"


async def _send(
    client: Client, patient: Patient, phase: Phase, path: str, body: dict[str, object]
) -> int:
    headers = {"Authorization": f"Bearer {patient.token}"}
    if path == "/api/v1/appointments":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    headers["Content-Type"] = "application/json"
    payload = orjson.dumps(body)
    started = time.perf_counter()
    answer: Answer | None = None
    try:
        answer = await client.http.request("POST", path, headers=headers, body=payload)
    except (OSError, asyncio.IncompleteReadError, ProtocolProblem) as error:
        phase.statuses[type(error).__name__] += 1
    phase.latencies_ms.append((time.perf_counter() - started) * 1000)
    if answer is None:
        return 0
    status = answer.status
    phase.statuses[_conflict_kind(answer) if status == 409 else str(status)] += 1
    return status


async def _keep_booking(
    *, client: Client, phase: Phase, turns: Iterator[Turn], deadline: float, with_hold: bool
) -> None:
    """One client booking one free slot after another, each for its patient, until the time
    is up."""
    for turn in turns:
        if time.perf_counter() >= deadline:
            return
        body = turn.slot.body()
        if with_hold and await _send(client, turn.patient, phase, "/api/v1/holds", body) != 201:
            continue
        if await _send(client, turn.patient, phase, "/api/v1/appointments", body) == 201:
            phase.booked += 1
    phase.ran_dry += 1


async def _uncontended(
    *,
    app: RunningApp,
    clients: list[Client],
    name: str,
    hands: list[Iterator[Turn]],
    seconds: float,
    with_hold: bool,
) -> Phase:
    phase = Phase(name)
    workers = app.worker_pids()
    before = booking_cpu.snapshot(workers)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _keep_booking(
                client=client,
                phase=phase,
                turns=turns,
                deadline=started + seconds,
                with_hold=with_hold,
            )
            for client, turns in zip(clients, hands, strict=True)
        )
    )
    phase.seconds = time.perf_counter() - started
    phase.cpu = booking_cpu.split(before, booking_cpu.snapshot(workers), phase.seconds)
    return phase


async def _warm_then_book(
    *,
    app: RunningApp,
    clients: list[Client],
    hands: list[Iterator[Turn]],
    name: str,
    seconds: float,
) -> tuple[Phase, Phase]:
    """A warm-up (not reported: the first requests open pools and fill caches), a checkpoint
    (so the phase does not pay for the warm-up's dirty pages), then booking for `seconds`."""
    warm_up = await _uncontended(
        app=app,
        clients=clients,
        name="warm-up",
        hands=hands,
        seconds=WARM_UP_SECONDS,
        with_hold=False,
    )
    await asyncio.to_thread(run_admin, "CHECKPOINT")
    book = await _uncontended(
        app=app, clients=clients, name=name, hands=hands, seconds=seconds, with_hold=False
    )
    return warm_up, book


async def _contention(*, clients: list[Client], bench: BenchClinic) -> Phase:
    """For each contested hour, every client fires its booking at the same moment."""
    phase = Phase("contention")
    started = time.perf_counter()
    for hour in bench.contested_hours:
        statuses = await asyncio.gather(
            *(
                _send(
                    client,
                    client.patient,
                    phase,
                    "/api/v1/appointments",
                    hour.contenders[number % len(hour.contenders)].body(),
                )
                for number, client in enumerate(clients)
            )
        )
        phase.booked += statuses.count(201)
    phase.seconds = time.perf_counter() - started
    return phase


async def _connect(app: RunningApp, patients: list[Patient]) -> list[Client]:
    """One keep-alive connection per client, dealt to the app servers in turn."""
    clients = []
    for number, patient in enumerate(patients):
        http = KeepAliveClient("127.0.0.1", app.port_for(number))
        await http.request("GET", "/health")
        clients.append(Client(http=http, patient=patient))
    return clients


@dataclass
class Phases:
    warm_up: Phase
    book: Phase
    flow: Phase
    contention: Phase
    connections: list[int]
    pgbench_before: list[pgbench.PgbenchRun]
    pgbench_after: list[pgbench.PgbenchRun]


async def _drive(
    app: RunningApp,
    bench: BenchClinic,
    hands: list[Iterator[Turn]],
    yardstick: pgbench.TpcB | None,
) -> Phases:
    """pgbench, warm-up (not reported: first requests open pools and fill caches), book,
    pgbench again, hold+book, then contention with other patients; each free slot is offered
    to one client only, and each client works through its own hand across the uncontended
    phases. pgbench runs on either side of the book phase, with the app idle, so the rate it
    is compared with is the database's of the same minutes."""
    clients = await _connect(app, bench.patients)
    try:
        connections = app.connections_per_worker()
        before = await _measure_yardstick(yardstick)
        warm_up, book = await _warm_then_book(
            app=app, clients=clients, hands=hands, name="book", seconds=SECONDS
        )
        after = await _measure_yardstick(yardstick)
        flow = await _uncontended(
            app=app,
            clients=clients,
            name="hold+book",
            hands=hands,
            seconds=FLOW_SECONDS,
            with_hold=True,
        )
        contention = await _contention(clients=clients, bench=bench)
    finally:
        for client in clients:
            await client.http.close()
    return Phases(warm_up, book, flow, contention, connections, before, after)


async def _measure_yardstick(yardstick: pgbench.TpcB | None) -> list[pgbench.PgbenchRun]:
    if yardstick is None:
        return []
    return await asyncio.to_thread(
        yardstick.run, seconds=SECONDS, client_counts=YARDSTICK_CLIENT_COUNTS
    )


async def _scale_out(
    app: RunningApp, bench: BenchClinic, hands: list[Iterator[Turn]]
) -> tuple[Phase, Phase]:
    """The book phase against more app processes: a warm-up (each process opens its pool),
    then booking for `FLOW_SECONDS`, by the second group of hands and their patients."""
    clients = await _connect(app, bench.patients)
    try:
        return await _warm_then_book(
            app=app,
            clients=clients,
            hands=hands,
            name=f"book x{SCALE_OUT_WORKERS}",
            seconds=FLOW_SECONDS,
        )
    finally:
        for client in clients:
            await client.http.close()


def _double_booking_problems(bench: BenchClinic, contention: Phase, uncontended: int) -> list[str]:
    """What the database holds, checked against what the clients were told."""
    problems = []
    with psycopg.connect(admin_dsn(bench.database_url.rsplit("/", 1)[1])) as connection:
        overlaps = connection.execute(
            "SELECT count(*) FROM appointments a JOIN appointments b "
            "ON a.clinician_id = b.clinician_id AND a.id < b.id "
            f"AND a.status IN {ACTIVE} AND b.status IN {ACTIVE} "
            "AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until"
        ).fetchone()
        if overlaps is None or overlaps[0] != 0:
            problems.append(f"{overlaps} pairs of overlapping appointments of one clinician")
        patient_overlaps = connection.execute(
            "SELECT count(*) FROM appointments a JOIN appointments b "
            "ON a.patient_id = b.patient_id AND a.id < b.id "
            f"AND a.status IN {ACTIVE} AND b.status IN {ACTIVE} "
            "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
        ).fetchone()
        if patient_overlaps is None or patient_overlaps[0] != 0:
            problems.append(f"{patient_overlaps} pairs of overlapping appointments of one patient")
        for hour in bench.contested_hours:
            for half in (hour.contenders[1], hour.contenders[2]):
                row = connection.execute(
                    "SELECT count(*) FROM appointments WHERE clinician_id = %s "
                    f"AND status IN {ACTIVE} AND starts_at < %s + interval '30 minutes' "
                    "AND blocked_until > %s",
                    (half.clinician_id, half.starts_at, half.starts_at),
                ).fetchone()
                if row is None or row[0] != 1:
                    problems.append(f"{half.starts_at:%Y-%m-%d %H:%M} UTC is covered {row} times")
        contested = connection.execute(
            "SELECT count(*) FROM appointments WHERE clinician_id = %s",
            (bench.contested_clinician_id,),
        ).fetchone()
        others = connection.execute(
            "SELECT count(*) FROM appointments WHERE clinician_id <> %s",
            (bench.contested_clinician_id,),
        ).fetchone()
    if contested is None or contested[0] != contention.booked:
        problems.append(f"{contention.booked} contested bookings confirmed, {contested} stored")
    if others is None or others[0] != uncontended:
        problems.append(f"{uncontended} uncontended bookings confirmed, {others} stored")
    return problems


def _refusal_problems(phases: Sequence[Phase], contention: Phase) -> list[str]:
    """409s the rules should never have given: any outside contention, and in contention any
    but a lost race; and clients that ran out of slots, whose rate would read too low."""
    problems = []
    for phase in phases:
        allowed = {EXPECTED_CONFLICT} if phase is contention else set()
        for status, count in sorted(phase.statuses.items()):
            if status.startswith("409") and status not in allowed:
                problems.append(f"{phase.name}: {count} x {status}")
        if phase.ran_dry:
            problems.append(f"{phase.name}: {phase.ran_dry} clients ran out of slots")
    return problems


def _rival_overlaps(bench: BenchClinic) -> list[str]:
    """Each contention rival asks for the same contender in every contested hour: those must
    not overlap each other, or the patient rule, not the race, would refuse some."""
    problems = []
    for number in range(CLIENTS):
        calendar = PatientCalendar()
        for hour in bench.contested_hours:
            slot = hour.contenders[number % len(hour.contenders)]
            if not calendar.fits(slot):
                problems.append(f"rival {number} would ask for overlapping slots")
            calendar.add(slot)
    return problems


def _print_phase(phase: Phase, clients: int) -> None:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(phase.statuses.items()))
    requests = len(phase.latencies_ms)
    print(
        f"  {phase.name:<10} {clients} clients, {phase.seconds:4.1f} s: "
        f"{phase.booked:,} bookings = {phase.rate:,.0f} bookings/s "
        f"({requests / phase.seconds:,.0f} requests/s)"
    )
    print(
        f"  {'':<10} latency per request p50 {phase.percentile(0.50):.1f} ms, "
        f"p95 {phase.percentile(0.95):.1f} ms, p99 {phase.percentile(0.99):.1f} ms; "
        f"statuses {statuses}"
    )
    if phase.cpu is not None:
        print(f"  {'':<10} {phase.cpu.describe(phase.booked)}")


def main() -> None:
    problem = server_problem()
    if problem is not None:
        print(f"booking benchmark skipped: {problem}")
        return
    binary = pgbench.find_pgbench()
    with scratch_database(f"plexcare_bench_{os.getpid()}") as database:
        started = time.perf_counter()
        bench = build_clinic(database=database, patient_count=CLIENTS)
        dealt = deal_without_overlap(bench.free_slots, 2 * CLIENTS * HANDS_PER_CLIENT)
        bookers = add_patients(
            database_url=bench.database_url,
            count=patients_needed(dealt),
            first_number=len(bench.patients),
        )
        sizes = [len(hand) for hand in dealt]
        print(
            f"setup: {len(bench.free_slots):,} free slots dealt to {len(dealt)} hands, "
            f"{HANDS_PER_CLIENT} per client "
            f"({min(sizes):,}-{max(sizes):,} each, none overlapping; {sum(sizes):,} dealt), "
            f"booked by {len(bookers):,} patients ({BOOKINGS_PER_PATIENT} each), "
            f"{len(bench.patients)} contention rivals, all with bearer tokens, "
            f"in {time.perf_counter() - started:.1f} s; {WORKERS} app servers, "
            f"PLEXCARE_MAX_OPEN_APPOINTMENTS={OPEN_APPOINTMENTS_LIMIT}"
        )
        setup_problems = _rival_overlaps(bench)
        if setup_problems:
            raise RuntimeError("booking benchmark set-up: " + "; ".join(setup_problems))
        settings = {"PLEXCARE_MAX_OPEN_APPOINTMENTS": str(OPEN_APPOINTMENTS_LIMIT)}
        turns = turns_of(dealt, bookers)
        hands = [
            itertools.chain(*turns[first : first + HANDS_PER_CLIENT])
            for first in range(0, len(turns), HANDS_PER_CLIENT)
        ]
        with contextlib.ExitStack() as stack:
            yardstick = None if binary is None else stack.enter_context(pgbench.tpc_b(binary))
            with running_app(bench.database_url, settings) as app:
                phases = asyncio.run(_drive(app, bench, hands[:CLIENTS], yardstick))
        with running_app(bench.database_url, settings, workers=SCALE_OUT_WORKERS) as app:
            scale_warm_up, scaled = asyncio.run(_scale_out(app, bench, hands[CLIENTS:]))
        book, flow, contention = phases.book, phases.flow, phases.contention
        uncontended = phases.warm_up.booked + book.booked + flow.booked
        problems = _refusal_problems(
            (phases.warm_up, book, flow, contention, scale_warm_up, scaled), contention
        ) + _double_booking_problems(
            bench, contention, uncontended + scale_warm_up.booked + scaled.booked
        )
    print(f"  client connections per app server: {phases.connections or 'unknown'}")
    _print_phase(book, CLIENTS)
    _print_phase(flow, CLIENTS)
    _print_phase(contention, CLIENTS)
    _print_phase(scaled, CLIENTS)
    print(
        f"  app processes on one database: {WORKERS} -> {book.rate:,.0f} bookings/s, "
        f"{SCALE_OUT_WORKERS} -> {scaled.rate:,.0f} bookings/s (p99 {book.percentile(0.99):.0f} "
        f"/ {scaled.percentile(0.99):.0f} ms; on this machine's {os.cpu_count()} cores)"
    )
    verdict = "none" if not problems else "; ".join(problems)
    print(
        f"  double booking: {len(bench.contested_hours)} contested hours x {CLIENTS} clients, "
        f"{contention.booked} won; problems found: {verdict}"
    )
    p99 = book.percentile(0.99)
    print(
        f"  p99 at {CLIENTS} clients {p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms: "
        f"{'met' if p99 < TARGET_P99_MS else 'NOT met'})"
    )
    if binary is None:
        print("  pgbench comparison skipped: pgbench is not installed (make bench installs it)")
        return
    runs = phases.pgbench_before + phases.pgbench_after
    for when, group in (("before", phases.pgbench_before), ("after", phases.pgbench_after)):
        for run in group:
            database = (
                f", PostgreSQL CPU {run.postgres_ms_per_transaction:.2f} ms per transaction"
                if run.postgres_ms_per_transaction is not None
                else ""
            )
            print(
                f"  pgbench TPC-B-like {when} the book phase, {run.clients} clients, {SECONDS} s: "
                f"{run.tps:,.0f} tps, latency average {run.latency_ms:.1f} ms{database}; "
                f"bookings/s = {book.rate / run.tps:.0%}"
            )
    best = max(run.tps for run in runs)
    share = book.rate / best
    if book.cpu is not None and book.booked:
        database_ms = book.cpu.postgres * 1000 / book.booked
        ceiling = (os.cpu_count() or 1) * 1000 / database_ms
        print(
            f"  PostgreSQL CPU per booking {database_ms:.2f} ms: were the app and the clients "
            f"free, this machine's cores would carry at most {ceiling:,.0f} bookings/s "
            f"= {ceiling / best:.0%} of pgbench's best rate"
        )
    print(
        f"  bookings/s vs pgbench's best rate on either side: {share:.0%} "
        f"(target >= {TARGET_SHARE:.0%}: "
        f"{'met' if share >= TARGET_SHARE else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
