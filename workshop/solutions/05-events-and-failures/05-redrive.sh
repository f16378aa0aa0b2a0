# Module 5, exercise: moves every message of the stock arrivals dead-letter queue back to the
# stock arrivals queue, as SQS's StartMessageMoveTask does in AWS. Send first, delete second: if
# the script stops between the two, the message is in both queues rather than in neither, and a
# stock arrival applied twice is applied once (its arrivalId is recorded with the stock).
source workshop/env.sh > /dev/null
moved=0
while :; do
  MSG=$(aws_local sqs AmazonSQS.ReceiveMessage "{\"QueueUrl\":\"$DLQ\",\"MaxNumberOfMessages\":1}")
  BODY=$(echo "$MSG" | json Messages.0.Body)
  [ "$BODY" = undefined ] && break
  aws_local sqs AmazonSQS.SendMessage "$(node -e '
    console.log(JSON.stringify({ QueueUrl: process.argv[1], MessageBody: process.argv[2] }))
  ' "$STOCK_QUEUE" "$BODY")" > /dev/null
  aws_local sqs AmazonSQS.DeleteMessage \
    "{\"QueueUrl\":\"$DLQ\",\"ReceiptHandle\":\"$(echo "$MSG" | json Messages.0.ReceiptHandle)\"}" > /dev/null
  moved=$((moved + 1))
done
echo "moved $moved message(s) back to the stock arrivals queue"
