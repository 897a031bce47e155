"""atomic_write keeps file metadata: umask mode, existing mode, symlink targets, stale temporaries, full disks."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from brickwork import models
from brickwork.layers import Dense, Input
from brickwork.utils import io as bw_io
from brickwork.utils.io import atomic_write, current_umask


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tiny_model():
    return models.Sequential([Input(shape=(3,)), Dense(2)])


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(previous)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_file_gets_the_umask_mode(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    path = tmp_path / "m.brick"
    tiny_model().save(path)
    assert mode_of(path) == 0o666 & ~mask
    with open(tmp_path / "plain", "w"):  # what an ordinary open() gives
        pass
    assert mode_of(path) == mode_of(tmp_path / "plain")


def test_overwrite_keeps_the_existing_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "m.brick"
    tiny_model().save(path)
    os.chmod(path, 0o640)
    tiny_model().save(path)
    assert mode_of(path) == 0o640
    os.chmod(path, 0o604)
    with atomic_write(path, "w") as handle:
        handle.write("text")
    assert mode_of(path) == 0o604 and path.read_text() == "text"


def test_writing_through_a_symlink_updates_the_target(tmp_path):
    target_dir = tmp_path / "store"
    target_dir.mkdir()
    target = target_dir / "real.brick"
    link = tmp_path / "latest.brick"
    tiny_model().save(target)
    os.chmod(target, 0o644)
    os.symlink(target, link)
    before = target.read_bytes()
    model = tiny_model()
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != before and mode_of(target) == 0o644
    assert sorted(p.name for p in target_dir.iterdir()) == ["real.brick"]  # temporary written next to the target
    np.testing.assert_array_equal(models.load_model(link).weights[0].data, model.weights[0].data)
    dangling = tmp_path / "dangling.brick"
    os.symlink(target_dir / "new.brick", dangling)
    tiny_model().save(dangling)
    assert dangling.is_symlink() and (target_dir / "new.brick").is_file()


KILLED_SAVE = """
import os, signal, sys
from brickwork.utils.io import atomic_write
with atomic_write(sys.argv[1], "wb") as handle:
    handle.write(b"x" * 100000)
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_stale_temporaries_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.brick"
    tiny_model().save(path)
    before = path.read_bytes()
    for _ in range(3):
        result = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True, timeout=60)
        assert result.returncode == -9
    stale = sorted(p.name for p in tmp_path.iterdir() if p.name != "ckpt.brick")
    assert len(stale) == 3 and all(n.startswith(".ckpt.brick.") and n.endswith(".tmp") for n in stale)
    assert path.read_bytes() == before  # the kill never damaged the previous file
    other = tmp_path / ".ckpt.brick.v2.123-abcdefgh.tmp"  # not a temporary of this path: kept
    other.write_bytes(b"")
    os.utime(other, (time.time() - 100, time.time() - 100))
    time.sleep(0.01)
    tiny_model().save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ckpt.brick", other.name])


def test_a_live_writers_temporary_is_kept(tmp_path):
    path = tmp_path / "m.brick"
    live = tmp_path / f".m.brick.{os.getppid()}-abcdefgh.tmp"  # a running process (our parent) is writing it
    live.write_bytes(b"partial")
    os.utime(live, (time.time() - 100, time.time() - 100))
    with atomic_write(path, "wb") as handle:
        handle.write(b"new")
    assert live.exists() and path.read_bytes() == b"new"


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch, where):
    path = tmp_path / "ckpt.brick"
    tiny_model().save(path)
    before = path.read_bytes()

    def enospc(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "write":
        monkeypatch.setattr(zipfile.ZipFile, "writestr", enospc)
    else:
        monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(OSError) as info:
        tiny_model().save(path)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.brick"]


def test_saving_onto_a_directory_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="directory"), atomic_write(tmp_path, "wb") as handle:
        handle.write(b"x")
    assert not any(p.name.endswith(".tmp") for p in tmp_path.parent.iterdir())


def test_directory_fsync_after_rename(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    with atomic_write(tmp_path / "f", "wb") as handle:
        handle.write(b"x")
    assert synced == [False, True]  # the file, then its directory
    assert bw_io.current_umask() == current_umask()
