"""Feedback preprocessor that keeps the hidden tests hidden.

nbgrader's feedback is made from the autograded notebook, in which the
test cells hold their hidden part again, and the outputs of failed cells
hold tracebacks that run through the hidden-check module. This
preprocessor, run by ``nbgrader generate_feedback``, removes the hidden
region of every test cell and cuts every error to its last line (the
exception's name and message), which the hidden checks write to help.
"""

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class ScrubHiddenTests(ClearHiddenTests):
    """Remove hidden tests and reduce tracebacks to their message."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        if utils.is_grade(cell):
            self._remove_hidden_test_region(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output['ename']}: {output['evalue']}"
                output["traceback"] = [message]
        return cell, resources
