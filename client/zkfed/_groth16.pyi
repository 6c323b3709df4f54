"""Types of the C extension zkfed._groth16 (client/zkfed/native/groth16.c)."""

def prove(
    zkey: bytes,
    layout: tuple[int, ...],
    witness: bytes,
    r: bytes,
    s: bytes,
    neg_rs: bytes,
    omega: bytes,
    inc: bytes,
    threads: int,
    /,
) -> bytes: ...
def msm(group: int, bases: bytes, scalars: bytes, threads: int, /) -> bytes: ...
def use_adx(enable: bool | None = None, /) -> bool: ...
