"""What installs the app: requirements.txt (the app), requirements-test.txt (the tests' tools on top) and
packages.txt (Debian packages, for Streamlit Community Cloud), checked against each other and against .ci/run."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"pytest", "playwright"}


def requirement_lines(name):
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def apt_installs(script):
    """The package names that `apt-get install` lines of a shell script install."""
    names = set()
    for line in script.splitlines():
        words = line.split("#")[0].split()
        if "apt-get" in words and "install" in words:
            names |= {word for word in words[words.index("install") + 1:] if not word.startswith(("-", ">", "2>"))}
    return names


def test_apt_installs_reads_the_package_names():
    assert apt_installs("  apt-get update -qq\n  apt-get install -y -qq chromium dataset-fashion-mnist >/dev/null\n"
                        "# apt-get install commented-out\n") == {"chromium", "dataset-fashion-mnist"}


def test_packages_txt_names_only_packages_that_ci_installs():
    wanted = set(requirement_lines("packages.txt"))
    assert wanted and wanted <= apt_installs((ROOT / ".ci" / "run").read_text(encoding="utf-8"))


def test_the_app_installs_without_the_tests_tools_and_the_tests_install_both():
    app = {Requirement(line).name for line in requirement_lines("requirements.txt")}
    assert {"streamlit", "keras", "filelock", "psutil"} <= app and not app & TEST_TOOLS
    tests = requirement_lines("requirements-test.txt")
    assert "-r requirements.txt" in tests and TEST_TOOLS <= {Requirement(line).name for line in tests[1:]}
    assert "requirements-test.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-test.txt"])
def test_each_package_is_named_once_so_its_bounds_live_in_one_line(name):
    # tensorflow and tensorflow-cpu are two packages, each named once; their markers pick one (the test below).
    names = [Requirement(line).name.lower() for line in requirement_lines(name) if not line.startswith("-r")]
    assert len(names) == len(set(names)), sorted(name for name in set(names) if names.count(name) > 1)


@pytest.mark.parametrize("platform, machine, build", [
    ("linux", "x86_64", "tensorflow-cpu"), ("win32", "AMD64", "tensorflow-cpu"), ("darwin", "arm64", "tensorflow"),
    ("darwin", "x86_64", "tensorflow"), ("linux", "aarch64", "tensorflow"), ("win32", "ARM64", "tensorflow")])
def test_exactly_one_tensorflow_build_is_picked_where_its_wheel_exists(platform, machine, build):
    environment = {"sys_platform": platform, "platform_machine": machine}
    picked = [requirement.name for requirement in map(Requirement, requirement_lines("requirements.txt"))
              if requirement.name.startswith("tensorflow") and requirement.marker.evaluate(environment)]
    assert picked == [build]
