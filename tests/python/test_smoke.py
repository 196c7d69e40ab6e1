"""`phenom smoke` over every config in configs/ (each shrunk, trained, stopped, resumed), and its
JUnit XML read with Python's xml module; then specs that must fail, each with its failure type.
Usage: test_smoke.py PHENOM_BINARY SOURCE_DIR."""
import glob
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

phenom, source = sys.argv[1], sys.argv[2]


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


def smoke(*args, cwd):
    done = subprocess.run([phenom, "smoke", *args], cwd=cwd, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def cases(report):
    root = ET.parse(report).getroot()
    check(root.tag == "testsuites", "root element " + root.tag)
    suite = root.find("testsuite")
    return suite, {c.get("file"): c for c in suite.findall("testcase")}


with tempfile.TemporaryDirectory() as tmp:
    # Every shipped config passes: it trains, writes every output, checkpoints and resumes exactly.
    configs = os.path.join(source, "configs")
    report = os.path.join(tmp, "configs.xml")
    code, out = smoke(configs, "--steps", "4", "--jobs", "2", "--junit", report, cwd=tmp)
    check(code == 0, "smoke over configs/ failed:\n" + out)
    suite, by_file = cases(report)
    files = sorted(glob.glob(os.path.join(configs, "**", "*.yaml"), recursive=True))
    check(sorted(by_file) == files, f"the report's cases {sorted(by_file)} are not the configs {files}")
    check(suite.get("tests") == str(len(files)) and suite.get("failures") == "0", str(suite.attrib))
    for file, case in by_file.items():
        check(case.find("failure") is None, file + " has a failure")
        check(float(case.get("time")) > 0, file + " has no time")
        passed = case.find("system-out").text or ""
        check("writes every output" in passed, file + ": " + passed)
        if "closed-form" not in passed:
            check("resumes bit-identically" in passed, file + ": " + passed)
    check(by_file[os.path.join(configs, "grokking", "mlp.yaml")].get("classname").endswith("configs.grokking"),
          "classname of grokking/mlp.yaml")

    # What must fail: a spec error (its text holds '<' and quotes: escaped), divergence, a missing file.
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    base = ("name: s\ntask: {type: modular_arithmetic, modulus: 7}\nmodel: {type: mlp, width: 8}\n"
            "optimizer: {type: sgd, lr: 0.1}\ntrain: {steps: 100, loss: mse}\n")
    open(os.path.join(bad, "a_typo.yaml"), "w").write(base.replace("width: 8", "widht: 8"))
    open(os.path.join(bad, "b_diverges.yaml"), "w").write(base.replace("lr: 0.1", "lr: 1.0e+30"))
    open(os.path.join(bad, "c_fine.yaml"), "w").write(base)
    report = os.path.join(tmp, "bad.xml")
    code, out = smoke(bad, os.path.join(tmp, "missing.yaml"), "--junit", report, "--root", os.path.join(tmp, "runs"),
                      cwd=tmp)
    check(code == 1, f"exit {code} with failing specs:\n" + out)
    suite, by_file = cases(report)
    check(suite.get("tests") == "4" and suite.get("failures") == "3", str(suite.attrib))
    types = {os.path.basename(f): (c.find("failure").get("type") if c.find("failure") is not None else None)
             for f, c in by_file.items()}
    check(types == {"a_typo.yaml": "spec", "b_diverges.yaml": "train", "c_fine.yaml": None, "missing.yaml": "spec"},
          str(types))
    typo = by_file[os.path.join(bad, "a_typo.yaml")].find("failure").get("message")
    check("a_typo.yaml:3:" in typo and "widht" in typo and "did you mean 'width'" in typo, typo)
    check("diverged" in (by_file[os.path.join(bad, "b_diverges.yaml")].find("failure").text or ""),
          "the divergence's log tail is in the report")
    check("FAIL" in out and "1 of 4 specs passed" in out, out)
print("ok")
