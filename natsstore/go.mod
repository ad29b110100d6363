module github.com/sesh-go/sesh/natsstore

go 1.25.0

require (
	github.com/nats-io/nats.go v1.53.0
	github.com/sesh-go/sesh v0.0.0
)

require (
	github.com/klauspost/compress v1.18.5 // indirect
	github.com/nats-io/nkeys v0.4.15 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace github.com/sesh-go/sesh => ../
