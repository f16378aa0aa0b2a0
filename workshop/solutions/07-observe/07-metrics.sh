# Module 7, exercise: the names of the metrics a log's EMF lines carry, once each.
#   bash workshop/my-work/07-metrics.sh .local/stack.log
# An EMF line is a JSON object whose _aws.CloudWatchMetrics lists the metrics to extract; the
# local stack prints "<Function>: " before it.
node -e '
  const names = new Set();
  for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
    const at = line.indexOf("{\"_aws\":");
    if (at < 0) continue;
    for (const directive of JSON.parse(line.slice(at))._aws.CloudWatchMetrics)
      for (const metric of directive.Metrics) names.add(metric.Name);
  }
  console.log([...names].sort().join("\n"));
' "${1:-.local/stack.log}"
