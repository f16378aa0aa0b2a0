#!/usr/bin/env bash
# Module 1, exercise: an order for GIZMO-9, which the stack knows but has none of. It ends
# BACKORDERED (ProcessOrder finds no stock, IsInStock goes to Backorder) and alice is told
# ORDER_BACKORDERED. Run from anywhere in the project, with the stack running in terminal 1.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source workshop/env.sh > /dev/null
TOKEN=$(npm run -s token -- --sub alice)
curl -s "$API/orders" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "$(order_body GIZMO-9 1)"
echo
sleep 3
