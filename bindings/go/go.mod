module tapkit

go 1.19
