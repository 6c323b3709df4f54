"""The one exception tree of zkfed: every error a user can see is a `ZkfedError`."""


class ZkfedError(Exception):
    """Root of every error zkfed raises on purpose; its message is one sentence for the user."""


class ConfigurationError(ZkfedError, ValueError):
    """A setting, parameter or input file is invalid."""


class ToolchainError(ZkfedError, RuntimeError):
    """A required external tool (node, snarkjs, circom) is missing or failed."""


class InvalidProofError(ZkfedError, ValueError):
    """A zk-SNARK proof does not verify."""


class CryptoError(ZkfedError, ValueError):
    """A cryptographic input is malformed (a point off the curve, a value out of the field)."""


class QuantizationError(ZkfedError, ValueError):
    """A vector cannot be quantised, packed or unpacked (non-finite values, bad lengths, sums)."""


class KeystoreError(ZkfedError, ValueError):
    """A keystore cannot be opened: wrong password, tampered or malformed file."""


class DatasetError(ZkfedError, ValueError):
    """A dataset cannot be loaded, validated or split across members."""


class ModelSpecError(ZkfedError, ValueError):
    """A model spec, training configuration or weight vector is invalid for the model."""


class CkksError(ZkfedError, ValueError):
    """A CKKS context or ciphertext is malformed, corrupted or made for another context."""


class ProofGenerationError(ZkfedError, ValueError):
    """No proof can be made: the inputs violate a constraint of the circuit."""


class InvalidCidError(ZkfedError, ValueError):
    """A string is not a content identifier zkfed can read (sha2-256, raw or dag-pb)."""


class StorageError(ZkfedError, OSError):
    """Content cannot be stored or read (the store's directory or the IPFS node failed)."""


class StorageUnavailableError(StorageError, ConnectionError):
    """The IPFS node cannot be reached or did not answer in time."""


class ContentNotFoundError(StorageError, FileNotFoundError):
    """No content with the requested CID is in the store (or on the node within its timeout)."""


class CorruptContentError(StorageError, ValueError):
    """Stored blocks do not hash to their CIDs or do not form a UnixFS file."""


class ChainError(ZkfedError, RuntimeError):
    """The chain refused or could not carry out a step (a revert, a wrong network, a deployment)."""
