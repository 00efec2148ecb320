// Experiments: specs, runner, paper tables.
