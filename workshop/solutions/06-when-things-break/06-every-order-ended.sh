# Module 6, exercise: has every one of alice's orders reached an end? SHIPPED, BACKORDERED (it
# waits for stock, and a restock resumes it) and FAILED are ends; PENDING and RESERVED are not.
# Prints the orders that have not ended, then "ended: <n> of <total>"; exits 1 if any has not.
source workshop/env.sh > /dev/null
TOKEN=$(npm run -s token -- --sub alice)
curl -s "$API/orders?limit=100" -H "authorization: Bearer $TOKEN" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const { orders } = JSON.parse(s);
    const open = orders.filter((o) => !["SHIPPED", "BACKORDERED", "FAILED"].includes(o.status));
    for (const o of open) console.log(`not ended: ${o.orderId} ${o.status} since ${o.updatedAt}`);
    console.log(`ended: ${orders.length - open.length} of ${orders.length}`);
    process.exit(open.length > 0 ? 1 : 0);
  });'
