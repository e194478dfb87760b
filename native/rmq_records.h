#pragma once

#include <node_api.h>

namespace mqlab {

/** rmqScanRecords and rmqScanBatches: a queue's stored batches scanned (rmq_scan.cc). */
void InitRmqScan(napi_env env, napi_value exports);

/** rmqEncodeDeliveries: stored records encoded as RocketMQ deliveries (rmq_deliveries.cc). */
void InitRmqDeliveries(napi_env env, napi_value exports);

/** rmqEncodeSend: a SendMessageRequest read into the record batch it appends (rmq_send.cc). */
void InitRmqSend(napi_env env, napi_value exports);

/** rmqStoredAnswer: the SendMessageResponse of messages all stored (rmq_send_answer.cc). */
void InitRmqSendAnswer(napi_env env, napi_value exports);

/** rmqParseHandles and rmqAckEcho: an AckMessage's receipt handles read at once, its answer echoed (rmq_acks.cc). */
void InitRmqAcks(napi_env env, napi_value exports);

}  // namespace mqlab
