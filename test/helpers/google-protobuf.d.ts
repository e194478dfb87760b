// google-protobuf's well-known types, as the official RocketMQ client's generated classes take them (the package ships no types of its own).
declare module 'google-protobuf/google/protobuf/duration_pb.js' {
  export class Duration {
    setSeconds(seconds: number): this;
    setNanos(nanos: number): this;
  }
}
