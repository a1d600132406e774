package sim

// String renders the field's value as the text trace prints it.
func (f Field) String() string { return string(appendTextValue(nil, &f)) }
