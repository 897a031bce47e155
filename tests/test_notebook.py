"""The tabular tutorial notebook (examples/notebooks/your_own_table.ipynb) runs from top to bottom.

Executed with nbclient on a fresh ipykernel, as a reader would run it; the checks are on what the
notebook promises its reader: no cell fails, the figure is drawn, the model file reloads, and the
command-line scoring writes one score and three reason codes per new row.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebooks" / "your_own_table.ipynb"


@pytest.mark.slow
def test_your_own_table_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("BRICKWORK_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "commit the notebook without outputs"
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()                                   # raises CellExecutionError naming the failing cell

    text = "\n".join(str(out.get("text", "")) for cell in notebook.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []))
    assert "Verdict: the network" in text
    images = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if "image/png" in out.get("data", {})]
    assert images, "the loss curves were not drawn inline"
    assert (tmp_path / "training.png").stat().st_size > 5_000

    new_rows = pd.read_csv(tmp_path / "new_applications.csv")
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == len(new_rows) == 300
    assert list(scores["SK_ID_CURR"]) == list(new_rows["SK_ID_CURR"])
    assert {"score", "reason_1", "reason_2", "reason_3"} <= set(scores.columns)
    assert np.all((scores["score"] > 0) & (scores["score"] < 1))
    assert os.path.getsize(tmp_path / "model.brick") > 0
