module github.com/sesh-go/sesh/cmd/seshdemo

go 1.25.0

require github.com/sesh-go/sesh v0.0.0

replace github.com/sesh-go/sesh => ../..
