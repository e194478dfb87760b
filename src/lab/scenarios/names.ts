// The claim scenarios' names, in report order, for the CLI's help: without
// importing the scenarios themselves (and through them the peers' client
// libraries), which every `mqlab` command would otherwise load at start.
// A test holds this list to SCENARIOS.
export const SCENARIO_NAMES: readonly string[] = ['throughput', 'zero-copy', 'partitions', 'two-reads', 'persistence', 'integrity', 'crash', 'live-swap', 'http', 'latency', 'protocols', 'features-vs-zero-copy', 'tags', 'delay', 'transactions', 'tls', 'peers'];
