"""The pipeline report: seed numbers beside ours, and a self-contained HTML page checked in headless
Chromium (Debian's chromium, installed by ``make test``): every image decodes and no link is broken."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from circuitlab.cli.pipeline_report import write_report

CHECK = ('<script>window.addEventListener("load",()=>{const b=[...document.images].filter('
         'i=>!(i.complete&&i.naturalWidth>0)).length;document.body.setAttribute("data-images",'
         'document.images.length);document.body.setAttribute("data-broken",b);});</script>')


def chromium_image_check(page: Path, tmp: Path):
    """(images, broken images) of ``page`` as headless Chromium renders it."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed; `make test` installs it (apt-get install chromium)"
    probe = tmp / "probe.html"
    probe.write_text(page.read_text().replace("</body>", CHECK + "</body>"))
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                          "--dump-dom", probe.resolve().as_uri()], capture_output=True, text=True, timeout=120).stdout
    images = re.search(r'data-images="(\d+)"', dom)
    broken = re.search(r'data-broken="(\d+)"', dom)
    assert images and broken, dom[:500]
    return int(images.group(1)), int(broken.group(1))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
        if tag == "img":
            self.srcs.append(a.get("src", ""))


def check_links(page: Path):
    p = _Links()
    p.feed(page.read_text())
    for href in p.hrefs:
        assert not href.startswith(("http:", "https:", "//")), href      # opens offline
        assert (page.parent / href).resolve().is_file(), f"broken link {href}"
    assert all(s.startswith("data:image/png;base64,") for s in p.srcs)   # self-contained
    return p


def _png(path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(path)
    plt.close(fig)
    return path


def test_report_from_stage_records(tmp_path):
    root = tmp_path / "pipe"
    records = {
        "meram": {"variance_raw": 0.97, "range_sigma": 4.04, "energy_per_noise_sample_J": 1.4e-12},
        "p2m": {"worst_case": {"fig6a_cmos": 0.175, "fig6b_dwmtj": 0.314, "fig6c_hybrid": 0.132, "fig6d_read": 0.12},
                "campaigns": {"p2m_fig6a_cmos": {"samples": 40, "seconds": 8.0}}},
        "rram": {"energy_per_mac_voltage_seed": 1.8e-15, "energy_per_mac_current_seed": 7.86e-15},
        "snn": {"baseline": 98.8, "p2m": {"0": 98.3, "40": 97.9}, "seed": {"data_set": "gesture"},
                "deployed": {"trained_at": "0", "accuracy": {"0": 98.3, "40": 30.1}},
                "bandwidth": {"p2m_l1": 0.79, "l1": 0.01}, "data": {"name": "gesture-synth"},
                "energy": {"backend_reduction_pct": -5.3, "backend_reduction_pct_dense": 17.9},
                "reprogramming": {"from": "gesture-synth", "to": "nmnist-synth", "frozen": 91.0, "fine-tuned": 95.5}},
        "resnet": {"nonideal_untrained": 0.25, "noise_trained": 0.8, "chip": 0.78, "finetuned": 0.82},
    }
    inputs = {}
    for name, metrics in records.items():
        folder = root / name
        folder.mkdir(parents=True)
        plot = _png(folder / f"{name}.png")
        data = folder / f"{name}.json"
        data.write_text("{}")
        (folder / "stage.json").write_text(json.dumps({"name": name, "metrics": metrics, "wall_s": 1.5,
                                                       "inputs_hash": "ab" * 32}))
        inputs[name] = {"plot": plot, "data": data}
    summary = root / "p2m" / "p2m_summary.json"
    summary.write_text(json.dumps({"fig6c_hybrid": {"samples": 39, "worst_case": 0.1317, "worst_case_stderr": 0.012,
                                                    "three_sigma_pooled": 0.101, "sample_max": 0.152,
                                                    "sample_max_ci95": [0.12, 0.16], "mean_degree": 2},
                                   "run_times": {}}))
    inputs["p2m"]["summary"] = summary
    design = {"yield": {"passed": 300, "counted": 300, "yield": 1.0, "ci": [0.98777, 1.0],
                        "limits": {"margin_p": {"passed": 300, "counted": 300, "yield": 1.0, "ci": [0.98777, 1.0],
                                                "cpk": 1.31}}},
              "shares": {"margin_p": {"mismatch r_p": [0.88, 0.86, 0.9], "process offset": [0.1, 0.08, 0.12],
                                      "r2": [0.995, 0.99, 0.997]}},
              "corners": {"margin_p": {"nominal": 0.366, "corner_low": -0.108, "corner_high": 0.98, "mc_min": 0.1,
                                       "mc_max": 0.75, "mc_samples": 300}},
              "tail": {"is": {"method": "importance sampling", "p_fail": 2.58e-6, "ci95": [1.29e-6, 3.88e-6],
                              "sigma": 4.56, "samples": 600}},
              "plain_mc_samples_for_10pct": {"is": 3.87e7}}
    (root / "design").mkdir()
    (root / "design" / "stage.json").write_text(json.dumps({"name": "design", "metrics": design, "wall_s": 2.0,
                                                            "inputs_hash": "cd" * 32}))
    inputs["design"] = {}
    (root / "report").mkdir()
    md, page = write_report(root / "report", inputs, {"size": "quick"})
    text = md.read_text()
    assert "| fig6c_hybrid | 39 | 2 | 13.17 % +- 1.20 % | 10.10 % | 15.20 % (12.00 % .. 16.00 %) |" in text
    assert "| all | 300/300 | 100.000 % | 98.777 % .. 100.000 % | - |" in text
    assert "| margin_p | mismatch r_p | 88.000 % | 86.000 % .. 90.000 % |" in text
    assert "| importance sampling | 2.58e-06 | 1.29e-06 .. 3.88e-06 | 4.56 | 600 | 3.87e+07 |" in text
    assert "| P2M Fig. 6c CMOS+X: worst-case variation | 8.03 % | 13.2 % |" in text
    assert "| NeuRRAM energy per MAC, current mode | 7.81 fJ | 7.86 fJ |" in text
    assert "| ResNet-20: noise trained | 85.99 % | 80.0 % |" in text
    # the spiking CNN beside the seed's DVS128-Gesture numbers (seed Table 1, Fig. 7, Table 2)
    assert "| SNN Table 1: P2M at 40 % variation, trained with it | 87.25 % | 97.9 % |" in text
    assert "| SNN Table 1: P2M at 40 % variation, deployed | not reported | 30.1 % |" in text
    assert "P2M at 0 % variation, deployed" not in text          # the level it was trained at
    assert "| SNN Fig. 7: normalised bandwidth (l1) | 0.77 (gesture) | 0.79 |" in text
    assert ("| SNN Fig. 7: back-end energy vs baseline | 45.3 % lower (3 data sets) | 5.3 % higher (dense baseline: "
            "17.9 % lower) |") in text
    assert "| SNN Table 2: gesture-synth -> nmnist-synth | sharp drop without fine-tuning | frozen 91.0 %, " in text
    links = check_links(page)
    assert len(links.hrefs) == 6
    images, broken = chromium_image_check(page, tmp_path)
    assert images == 5 and broken == 0
