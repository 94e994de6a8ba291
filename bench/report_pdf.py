"""Pages and time of the clinician's report PDF for every worked example.

Target (issue 12): at most two A4 pages for a typical case. The time to make one PDF is what a
clinician waits after pressing "Download PDF" (WeasyPrint lays the page out in Python), so it
is printed too, as wall clock and process CPU time, since the benchmark machine is shared.
Page counts are read back from the PDF itself with poppler's `pdfinfo` when it is installed.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from plexcare.cases.assessment_views import CaseHeader
from plexcare.engine import Case, assess
from plexcare.knowledge.loader import knowledge_base
from plexcare.portal.layout import Frame
from plexcare.workspace.case_report import report_page, report_pdf

EXAMPLES = Path(__file__).parents[1] / "examples" / "cases"
PAGE_TARGET = 2
FRAME = Frame(title="Report", nav=(), visitor=None, csrf_token="")
HEADER = CaseHeader(
    case_id=1,
    patient_id=1,
    patient_name="Example Patient",
    title="Leg weakness",
    version=1,
    latest_version=1,
    versions=(1,),
    saved_on="Monday 2 March 2026, 08:00 GMT",
    author="Dr Example",
)


def _pages(pdf: bytes) -> int | None:
    tool = shutil.which("pdfinfo")
    if tool is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run([tool, file.name], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    return int(found.group(1)) if found else None


def main() -> None:
    kb = knowledge_base()
    walls: list[float] = []
    cpus: list[float] = []
    pages: list[int] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        case = Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        page = report_page(
            frame=FRAME,
            header=HEADER,
            answer=assess(case, kb).to_dict(),
            case=case,
            kb=kb,
            follow_up=(),
            for_pdf=True,
        )
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = report_pdf(page)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        counted = _pages(pdf)
        if counted is not None:
            pages.append(counted)
        print(f"  {path.stem:45s} {counted if counted is not None else '?'} pages")
    print(
        f"report PDF: {len(walls)} examples, wall p50 {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s; CPU p50 {statistics.median(cpus):.2f} s"
    )
    if pages:
        verdict = "met" if max(pages) <= PAGE_TARGET else "MISSED"
        print(f"report pages: max {max(pages)} (target <= {PAGE_TARGET}: {verdict})")
    else:
        print("report pages: pdfinfo (poppler-utils) not installed, not counted")


if __name__ == "__main__":
    main()
