module github.com/tapkit/tapkit/bindings/go

go 1.19
