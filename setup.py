"""The one part of zkfed that pyproject.toml cannot declare yet: its C extension.

`zkfed._groth16` is zkfed's multi-threaded Groth16 prover (zkfed.proving_native). It is optional:
without a C compiler the install goes on, and `--prover native` says in one sentence that it is
missing.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "zkfed._groth16",
            sources=["client/zkfed/native/groth16.c"],
            extra_compile_args=["-O3", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
