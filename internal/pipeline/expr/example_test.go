package expr_test

import (
	"fmt"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// instance resolves the references of an instance's field values: here,
// its runtime fields and one field of its component.
type instance map[string]string

func (i instance) Resolve(path []string) (string, error) {
	name := strings.Join(path, ".")
	if v, ok := i[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("'%s' is not a field", name)
}

func Example() {
	env := instance{"@scheduledStartTime": "2011-05-24T17:10:00", "myBucket": "logs"}
	s := "s3://#{myBucket}/#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd')}/"
	if err := expr.Validate(s); err != nil {
		fmt.Println(err)
	}
	out, err := expr.Eval(s, env)
	fmt.Println(out, err)

	out, err = expr.Eval("#{plusDays(myBucket,1)} #{nope}", env)
	fmt.Println(out)
	fmt.Println(err)
	// Output:
	// s3://logs/2011-05-23/ <nil>
	// #{plusDays(myBucket,1)} #{nope}
	// '#{plusDays(myBucket,1)}': plusDays expects (DateTime, Integer), got (String "logs", Integer 1)
}

func ExampleValidate() {
	fmt.Println(expr.Validate("#{fromat(@scheduledStartTime,'YYYY')}"))
	fmt.Println(expr.Validate("#{minusDays(@scheduledStartTime)}"))
	// Output:
	// expression '#{fromat(@scheduledStartTime,'YYYY')}': unknown function 'fromat'; did you mean 'format'?
	// expression '#{minusDays(@scheduledStartTime)}': minusDays takes 2 arguments (DateTime, Integer), got 1
}
