package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

// newMappingCmd prints a source's built-in mapping, the starting point of a --mapping file, or
// checks a mapping file.
func newMappingCmd(stdout io.Writer) *cobra.Command {
	var check string
	cmd := &cobra.Command{
		Use:   "mapping SOURCE [--check FILE]",
		Short: "Print a source's built-in mapping, or check a --mapping file against it",
		Long: `mapping prints the declarative mapping usher applies to a source's records (` + strings.Join(mappings.BuiltinNames(), ", ") + `).
A --mapping FILE for migrate uses the same format and is laid over it: a field rule replaces the
rule of the same target (null removes it), new targets are added, reject rules and drops are
added, rest rules replace the rule of the same source path, vars and scalars replace; with
"inherit: false" the file stands alone. For csv and json a --mapping file replaces the alias table.`,
		Example: `  usher mapping gigya > my-gigya.yaml
  usher mapping gigya --check my-gigya.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if check != "" {
				info, err := pipeline.LookupSource(args[0])
				if err != nil {
					return usageError{err}
				}
				if _, err := info.NewMapping(pipeline.MappingConfig{File: check}); err != nil {
					return usageError{err}
				}
				fmt.Fprintf(stdout, "%s: ok\n", check)
				return nil
			}
			text, err := mappings.Builtin(args[0])
			if err != nil {
				return usageError{err}
			}
			_, err = stdout.Write(text)
			return err
		},
	}
	cmd.Flags().StringVar(&check, "check", "", "compile FILE over the built-in mapping and report the first error with its line")
	return cmd
}
