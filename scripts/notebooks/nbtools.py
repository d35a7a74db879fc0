"""Shared by the make_NN.py notebook sources: write a tslab notebook with stable cell ids."""
import nbformat
from nbformat.v4 import new_notebook


def write_notebook(cells, path, budget_s=600):
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i:02d}"  # stable ids: regenerating the notebook leaves no diff
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript (tslab)", "language": "typescript"}
    nb.metadata["language_info"] = {"name": "typescript", "file_extension": ".ts"}
    nb.metadata["hollm"] = {"budget_s": budget_s}  # the runner's time budget for the whole notebook
    nbformat.write(nb, path)
