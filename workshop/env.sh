# The local stack's addresses and three small helpers, for the workshop's commands.
#
#   source workshop/env.sh
#
# `npm start` writes the addresses of everything it runs to .local/stack.json (the same file
# `npm run token` and `npm run fault` read), so these commands work whatever ports the stack uses.
# Nothing here talks to AWS.

_ws_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ws_stack="$_ws_root/.local/stack.json"

if [ ! -f "$_ws_stack" ]; then
  echo "No local stack is running (no .local/stack.json): start one with npm start in terminal 1." >&2
  return 1 2>/dev/null || exit 1
fi

# API, SQS, DDB, SFN, CONTROL: endpoints. STOCK_QUEUE, DLQ, FAILURES_QUEUE: queue URLs.
# TOPIC_ARN, STATE_MACHINE_ARN: as the stack names them.
eval "$(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const vars = {
    API: s.apiUrl,
    SQS: s.messagingUrl,
    DDB: s.dynamodb.url,
    SFN: s.stepFunctionsUrl,
    CONTROL: s.controlUrl,
    STOCK_QUEUE: s.queues.StockArrivalsQueue,
    DLQ: s.queues.StockArrivalsDeadLetterQueue,
    FAILURES_QUEUE: s.queues.StreamFailuresQueue,
    TOPIC_ARN: s.topics.OrderEventsTopic,
    STATE_MACHINE_ARN: s.stateMachineArn,
  };
  for (const [k, v] of Object.entries(vars)) console.log(`export ${k}=${JSON.stringify(String(v))}`);
' "$_ws_stack")"

# Calls an AWS API of the local stack in its own wire protocol (AWS JSON 1.0, signed with SigV4
# as every SDK signs; the local services accept any credentials):
#   aws_local sqs AmazonSQS.SendMessage '{"QueueUrl": "...", "MessageBody": "..."}'
# <service> is sqs, dynamodb or states; the second argument is the X-Amz-Target header, the
# operation as the API reference names it.
aws_local() {
  local endpoint
  case "$1" in
    sqs) endpoint="$SQS" ;;
    dynamodb) endpoint="$DDB" ;;
    states) endpoint="$SFN" ;;
    *) echo "aws_local: sqs, dynamodb or states, not $1" >&2; return 2 ;;
  esac
  curl -s "$endpoint" --aws-sigv4 "aws:amz:us-east-1:$1" -u local:local \
    -H 'content-type: application/x-amz-json-1.0' -H "x-amz-target: $2" -d "$3"
  echo
}

# Prints one field of the JSON read from standard input: `... | json status`,
# `... | json orders.0.status`; objects and arrays are printed as JSON.
json() {
  node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      let value = JSON.parse(text);
      for (const key of (process.argv[1] ?? "").split(".").filter(Boolean)) value = value?.[key];
      console.log(typeof value === "object" ? JSON.stringify(value) : String(value));
    });
  ' "$1"
}

# A valid POST /orders body for one line: `order_body WIDGET-1 2`.
order_body() {
  printf '{"items":[{"sku":"%s","quantity":%s}],"shippingAddress":{"name":"Ada Lovelace","line1":"12 Analytical Row","city":"London","postalCode":"N1 9GU","country":"GB"}}' "$1" "$2"
}

# Sends a stock arrival to the stock arrivals queue, as the warehouse does:
#   stock_arrival <arrivalId> <sku> <quantity>
stock_arrival() {
  local body
  body=$(printf '{"arrivalId":"%s","sku":"%s","quantity":%s}' "$1" "$2" "$3")
  aws_local sqs AmazonSQS.SendMessage "$(node -e 'console.log(JSON.stringify({QueueUrl: process.argv[1], MessageBody: process.argv[2]}))' "$STOCK_QUEUE" "$body")"
}

echo "API=$API  SQS=$SQS  DDB=$DDB  SFN=$SFN"
