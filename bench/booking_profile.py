"""Where one app process spends its CPU while patients book: py-spy on a running app server.

`python -m bench.booking_profile` (not part of `make bench`: profiling slows the server). It
builds the booking benchmark's clinic, starts one app server, lets 16 clients book (for one
patient after another, as `bench.booking` does) for a few seconds to warm it, then samples the
server with py-spy for `PLEXCARE_PROFILE_SECONDS` (15) while they keep booking, only when it
holds the GIL (its CPU, not its waiting), and prints the functions holding the most samples,
inclusive and by their own lines. The raw samples are left in `var/booking-profile.txt` for a
flame graph. `PLEXCARE_PROFILE_HOLD=1` profiles the checkout a patient's browser goes through
instead: each slot held, then booked on its hold (the full booking path).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson
from bench.booking_server import running_app
from bench.booking_setup import (
    OPEN_APPOINTMENTS_LIMIT,
    Turn,
    add_patients,
    build_clinic,
    deal_without_overlap,
    patients_needed,
    scratch_database,
    turns_of,
)
from bench.http_load import KeepAliveClient

CLIENTS = 16
SECONDS = int(os.environ.get("PLEXCARE_PROFILE_SECONDS", "15"))
WITH_HOLD = os.environ.get("PLEXCARE_PROFILE_HOLD", "") == "1"
"""Profile the checkout instead: each slot held (`POST /holds`), then booked."""
OUTPUT = Path("var/booking-profile.txt")


async def _book(port: int, turns: list[Turn], seconds: float) -> int:
    http = KeepAliveClient("127.0.0.1", port)
    booked = 0
    deadline = time.perf_counter() + seconds
    for turn in turns:
        if time.perf_counter() > deadline:
            break
        headers = {
            "Authorization": f"Bearer {turn.patient.token}",
            "Content-Type": "application/json",
        }
        body = orjson.dumps(turn.slot.body())
        if WITH_HOLD:
            held = await http.request("POST", "/api/v1/holds", headers=headers, body=body)
            if held.status != 201:
                continue
        booking = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        answer = await http.request("POST", "/api/v1/appointments", headers=booking, body=body)
        booked += answer.status == 201
    await http.close()
    return booked


async def _crowd(port: int, hands: list[list[Turn]], seconds: float) -> int:
    counts = await asyncio.gather(*(_book(port, hand, seconds) for hand in hands))
    return sum(counts)


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return [frame.split(" (")[0] + " " + _file(frame) for frame in stack.split(";")], int(count)


def _file(frame: str) -> str:
    inside = frame.rpartition("(")[2]
    return inside.split(":")[0].rsplit("/", 1)[-1]


def _summary(raw: Path) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        frames, count = _frames(line)
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f"  {total:,} samples holding the GIL")
    print("  inclusive (a function and everything it calls):")
    for frame, count in inclusive.most_common(45)[12:]:
        print(f"    {count / total:6.1%}  {frame}")
    print("  own lines:")
    for frame, count in own.most_common(15):
        print(f"    {count / total:6.1%}  {frame}")


def main() -> None:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        print("booking profile skipped: py-spy is not installed (the bench extra installs it)")
        return
    with scratch_database(f"plexcare_profile_{os.getpid()}") as database:
        clinic = build_clinic(database=database, patient_count=1)
        dealt = deal_without_overlap(clinic.free_slots, CLIENTS)
        patients = add_patients(
            database_url=clinic.database_url, count=patients_needed(dealt), first_number=1
        )
        hands = turns_of(dealt, patients)
        settings = {"PLEXCARE_MAX_OPEN_APPOINTMENTS": str(OPEN_APPOINTMENTS_LIMIT)}
        with running_app(clinic.database_url, settings, workers=1) as app:
            warm = [hand[: len(hand) // 4] for hand in hands]
            rest = [hand[len(hand) // 4 :] for hand in hands]
            asyncio.run(_crowd(app.port, warm, 3))
            OUTPUT.parent.mkdir(parents=True, exist_ok=True)
            command = [str(spy), "record", "--pid", str(app.pids[0]), "--gil", "--rate", "200"]
            command += ["--duration", str(SECONDS), "--format", "raw", "--output", str(OUTPUT)]
            sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started = time.perf_counter()
            booked = asyncio.run(_crowd(app.port, rest, SECONDS))
            elapsed = time.perf_counter() - started
            _, errors = sampler.communicate(timeout=SECONDS + 30)
    if sampler.returncode != 0 or not OUTPUT.exists():
        print(f"booking profile failed: {errors.decode(errors='replace')[-400:]}")
        return
    print(f"booking profile: {booked:,} bookings in {elapsed:.1f} s under py-spy (slowed by it)")
    _summary(OUTPUT)


if __name__ == "__main__":
    main()
