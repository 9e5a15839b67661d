"""Lab 1 Part 1: hints for errors students commonly hit; used for section and check feedback."""

from __future__ import annotations

import re

from grader.run.decode import StudentError

_ADD_WEIGHT = re.compile(r"add_weight\(\s*(?P<q>['\"])(?P<name>[^'\"]*)(?P=q)\s*,\s*")


def hint_for(error: StudentError) -> str | None:
    """A specific next step for a known error, or None."""
    message = error.message
    if "must be passed as a keyword argument" in message and "add_weight" in message:
        line = re.sub(r"\s+#[^'\"]*$", "", error.line_text.strip())  # without a trailing comment
        fixed = _ADD_WEIGHT.sub(lambda m: f"add_weight(name={m['q']}{m['name']}{m['q']}, ", line)
        if fixed != line:
            return (
                f"the handout was written for Keras 2; on Keras 3 write `{fixed}` "
                f"instead of `{line}`, and pass the name the same way in every add_weight call "
                "(the bias too): add_weight(name=..., shape=...)"
            )
        return (
            'on Keras 3, pass the weight\'s name as a keyword: add_weight(name="weight", shape=...)'
        )
    if "positional argument" in message and "isidentity" in message:
        return "pass the flag by name: model.call(x_input, isidentity=True)"
    if error.type == "SyntaxError" and "TODO" in error.line_text:
        return "this line still has the template's `# TODO` placeholder: replace it with your code"
    if error.type == "NameError" and "'tf'" in message:
        return "import TensorFlow first: add `import tensorflow as tf` at the top of the notebook"
    if error.type == "InvalidArgumentError" and "Matrix size-incompatible" in message:
        return (
            "the matrix shapes in tf.matmul do not fit: x is [batch, d], so W must be [d, n]; "
            "take d from input_shape[-1] instead of a fixed number"
        )
    if error.type == "SystemExit":
        return "do not call sys.exit() or exit() in the notebook"
    return None
