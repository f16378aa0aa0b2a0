#!/usr/bin/env bash
# Measures the local stack: time from `npm start` to ready, and for five orders the POST latency
# and the time from 202 Accepted to SHIPPED (polled every 20 ms). Uses the default ports.
set -euo pipefail
cd "$(dirname "$0")/.."
# The npm scripts' PATH: Node.js 24 from node_modules, not the machine's own.
export PATH="$PWD/node_modules/.bin:$PATH"
t0=$(date +%s%N)
log=${MEASURE_LOG:-$(mktemp)}
node_modules/.bin/tsx local/start.ts --no-seed > "$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
until grep -q READY "$log"; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.02
done
t1=$(date +%s%N)
echo "startup_ms=$(( (t1-t0)/1000000 )) $(grep -o 'started in [0-9]* ms' "$log")"
TOKEN=$(npm run -s token -- --sub alice)
# Stock for the orders, through the stock arrivals queue as the warehouse would send it.
curl -s -X POST "http://127.0.0.1:4566/" -H 'content-type: application/x-amz-json-1.0' \
  -H 'x-amz-target: AmazonSQS.SendMessage' -H 'authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/sqs/aws4_request' \
  -d '{"QueueUrl":"http://sqs.us-east-1.localhost:4566/000000000000/StockArrivalsQueue","MessageBody":"{\"arrivalId\":\"measure\",\"sku\":\"MEASURE-1\",\"quantity\":100}"}' > /dev/null
sleep 3
for i in 1 2 3 4 5; do
  s=$(date +%s%N)
  ID=$(curl -s 127.0.0.1:3000/orders -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"items":[{"sku":"MEASURE-1","quantity":1}],"shippingAddress":{"name":"A","line1":"L","city":"C","postalCode":"P","country":"GB"}}' | sed 's/.*"orderId":"\([^"]*\)".*/\1/')
  a=$(date +%s%N)
  until curl -s 127.0.0.1:3000/orders/$ID -H "authorization: Bearer $TOKEN" | grep -q SHIPPED; do sleep 0.02; done
  e=$(date +%s%N)
  echo "order $i: post_ms=$(( (a-s)/1000000 )) accepted_to_shipped_ms=$(( (e-a)/1000000 ))"
done
