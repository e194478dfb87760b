#pragma once

#include <node_api.h>

namespace mqlab {

/** rmqScanRecords and rmqEncodeDeliveries: stored records to RocketMQ deliveries (rmq_records.cc). */
void InitRmqRecords(napi_env env, napi_value exports);

}  // namespace mqlab
