"""zkfed: federated learning run by an Ethereum contract, with zk-checked secure aggregation."""

__version__ = "0.1.0"
