"""Policy as code: the project's own invariants as CloudFormation Guard rules."""
