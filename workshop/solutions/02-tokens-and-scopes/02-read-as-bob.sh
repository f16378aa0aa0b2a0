# Module 2, exercise: bob (a valid token with orders/read) asks for one of alice's orders.
# He gets 404 {"message":"Order <id> not found"}: the same answer as for an order that does not
# exist. A 403 would tell him that the id exists and belongs to someone else; the API never says
# whose an order is to anyone but its owner (get-order reads the order, then compares its
# customerId with the token's sub).
source workshop/env.sh > /dev/null
ALICE=$(npm run -s token -- --sub alice)
BOB=$(npm run -s token -- --sub bob --scope orders/read)
ORDER=$(curl -s "$API/orders" -H "authorization: Bearer $ALICE" | json orders.0.orderId)
curl -s -w ' %{http_code}\n' "$API/orders/$ORDER" -H "authorization: Bearer $BOB"
