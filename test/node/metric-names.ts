// Metric names, as the dashboard test compares them: those a Prometheus text exposition
// defines, and those the PromQL expressions of a Grafana dashboard JSON read.

/** Every series name a text exposition defines: its samples' names, and for each
 * `# TYPE` line the names that metric's samples take (a labelled metric with no sample
 * yet still exists; a histogram gives _bucket, _sum and _count). */
export function metricNamesOfExposition(text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const typed = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line)
    if (typed !== null) {
      const [, name, type] = typed as unknown as [string, string, string]
      const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['', '_sum', '_count'] : ['']
      for (const suffix of suffixes) names.add(name + suffix)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{| )/.exec(line)
    if (sample !== null) names.add(sample[1]!)
  }
  return names
}

/** PromQL words that are not metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'label_replace', 'label_join',
  'abs', 'ceil', 'floor', 'round', 'clamp', 'clamp_min', 'clamp_max', 'time', 'vector', 'scalar', 'absent', 'changes', 'resets',
  'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'timestamp', 'sort', 'sort_desc',
])

/** The metric names read by one PromQL expression: identifiers outside label matchers,
 * strings, ranges and grouping clauses, that are not PromQL words or Grafana variables. */
export function metricNamesOfExpression(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, '') // Grafana variables ($__rate_interval...)
  const names: string[] = []
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0]
    const before = stripped[match.index - 1]
    if (PROMQL_WORDS.has(word) || (before !== undefined && /[0-9.]/.test(before))) continue
    if (/^(inf|nan|e)$/i.test(word)) continue
    names.push(word)
  }
  return names
}

/** The metric names read by every Prometheus query (target `expr`) of a dashboard,
 * panels nested in rows included, and by its template variables' queries. */
export function metricNamesOfDashboard(dashboard: unknown): Set<string> {
  const names = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item)
      return
    }
    if (typeof node !== 'object' || node === null) return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'expr' && typeof value === 'string') for (const name of metricNamesOfExpression(value)) names.add(name)
      else if (typeof value === 'string' && /^label_values\(/.test(value)) names.add(/^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(value)![1]!)
      else visit(value)
    }
  }
  visit(dashboard)
  return names
}
