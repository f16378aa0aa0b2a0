# Module 4, exercise: 20 orders at once for a new SKU with 7 units. 7 ship, 13 wait for stock:
# each reservation is a transaction whose stock update is conditional on enough being
# available, so the eighth and later find the condition false and are backordered.
source workshop/env.sh > /dev/null
TOKEN=$(npm run -s token -- --sub alice)
SKU="RACE7-$RANDOM$RANDOM"
stock_arrival "asn-$SKU" "$SKU" 7 > /dev/null
# The arrival is applied when its stock item says so.
until aws_local dynamodb DynamoDB_20120810.GetItem \
  "{\"TableName\":\"InventoryTable\",\"Key\":{\"pk\":{\"S\":\"STOCK#$SKU\"}},\"ConsistentRead\":true}" |
  grep -q '"received":{"N":"7"}'; do sleep 0.5; done

for i in $(seq 1 20); do
  curl -s -o /dev/null "$API/orders" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "$(order_body "$SKU" 1)" &
done
wait

# Counts alice's orders of the SKU by status, until none is PENDING or RESERVED.
count() {
  curl -s "$API/orders?limit=100" -H "authorization: Bearer $TOKEN" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const count = { SHIPPED: 0, BACKORDERED: 0, OTHER: 0 };
      for (const o of JSON.parse(s).orders) {
        if (o.items[0].sku !== process.argv[1]) continue;
        if (o.status in count) count[o.status]++; else count.OTHER++;
      }
      console.log(`SHIPPED ${count.SHIPPED}\nBACKORDERED ${count.BACKORDERED}\nOTHER ${count.OTHER}`);
    });' "$SKU"
}
for attempt in $(seq 1 30); do
  result=$(count)
  echo "$result" | grep -q '^OTHER 0$' && [ "$(echo "$result" | awk '{s+=$2} END {print s}')" = 20 ] && break
  sleep 1
done
echo "SKU $SKU"
echo "$result" | grep -v '^OTHER'
